# Avro object container files and the binary encoding (table version 8
# commit metadata). Included last: extends sl_hudi from cmake/hudi.cmake.
target_sources(sl_hudi PRIVATE src/hudi/avro.c)
target_link_libraries(sl_hudi PUBLIC snappy PkgConfig::LIBZSTD ZLIB::ZLIB m)

# Hand-built containers of every type and codec, malformed inputs, allocation
# failures, and the Spark-written v8 fixture commits against their base files.
add_executable(test_hudi_avro tests/unit/test_hudi_avro.c tests/unit/unit.c)
target_include_directories(test_hudi_avro PRIVATE tests/unit)
target_compile_definitions(test_hudi_avro PRIVATE
  SLUICE_FIXTURES_DIR="${CMAKE_SOURCE_DIR}/tests/fixtures/hudi-spark-tables")
target_link_libraries(test_hudi_avro PRIVATE sl_hudi)
add_test(NAME hudi_avro COMMAND test_hudi_avro)

add_executable(replay_avro fuzz/fuzz_avro.c fuzz/replay_main.c)
target_link_libraries(replay_avro PRIVATE sl_hudi)
add_test(NAME corpus_avro COMMAND replay_avro ${CMAKE_SOURCE_DIR}/fuzz/corpus/avro)
if(SLUICE_FUZZ)
  add_executable(fuzz_avro fuzz/fuzz_avro.c)
  target_link_options(fuzz_avro PRIVATE -fsanitize=fuzzer)
  target_link_libraries(fuzz_avro PRIVATE sl_hudi)
endif()
