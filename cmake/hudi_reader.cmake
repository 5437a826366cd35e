# The Hudi reader (snapshot, time travel, incremental) and the commands built
# on it: `sluice cat` and `sluice timeline`. Included after cmake/hudi.cmake,
# which defines sl_hudi.
target_sources(sl_hudi PRIVATE src/hudi/reader.c)

target_sources(sluice PRIVATE src/cli/cmd_cat.c src/cli/cmd_timeline.c src/cli/parquet_json.c)
target_link_libraries(sluice PRIVATE sl_hudi)

# Pure parts of the reader (instant parsing) and the JSON value printer;
# tests/integration/test_hudi_cat.py checks whole tables against pyarrow.
add_executable(test_hudi_reader tests/unit/test_hudi_reader.c tests/unit/unit.c
  src/cli/parquet_json.c)
target_include_directories(test_hudi_reader PRIVATE tests/unit src/cli)
target_link_libraries(test_hudi_reader PRIVATE sl_hudi)
add_test(NAME hudi_reader COMMAND test_hudi_reader)
