# Hudi tables: timeline and commit metadata (pure), the table, the copy-on-write writer.
add_library(sl_hudi STATIC src/hudi/timeline.c src/hudi/commit_meta.c src/hudi/table.c
  src/hudi/writer.c)
target_include_directories(sl_hudi PUBLIC src)
target_link_libraries(sl_hudi PUBLIC sl_hudi_format sl_parquet_reader sl_parquet_writer sl_change_io
  sl_storage PkgConfig::JANSSON)

target_sources(sluice PRIVATE src/cli/cmd_apply.c)
target_link_libraries(sluice PRIVATE sl_hudi)

# Timeline names, instant times and commit JSON (against Spark's fixture commits).
add_executable(test_hudi_timeline tests/unit/test_hudi_timeline.c tests/unit/unit.c)
target_include_directories(test_hudi_timeline PRIVATE tests/unit)
target_compile_definitions(test_hudi_timeline PRIVATE
  SLUICE_FIXTURES_DIR="${CMAKE_SOURCE_DIR}/tests/fixtures/hudi-spark-tables")
target_link_libraries(test_hudi_timeline PRIVATE sl_hudi)
add_test(NAME hudi_timeline COMMAND test_hudi_timeline)

add_executable(replay_hudi_timeline fuzz/fuzz_hudi_timeline.c fuzz/replay_main.c)
target_link_libraries(replay_hudi_timeline PRIVATE sl_hudi)
add_test(NAME corpus_hudi_timeline
  COMMAND replay_hudi_timeline ${CMAKE_SOURCE_DIR}/fuzz/corpus/hudi_timeline)
if(SLUICE_FUZZ)
  add_executable(fuzz_hudi_timeline fuzz/fuzz_hudi_timeline.c)
  target_link_options(fuzz_hudi_timeline PRIVATE -fsanitize=fuzzer)
  target_link_libraries(fuzz_hudi_timeline PRIVATE sl_hudi)
endif()
