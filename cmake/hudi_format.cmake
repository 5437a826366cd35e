# Hudi format primitives (src/hudi, internal): hoodie.properties, key generators,
# Avro schemas, bloom filters. Pure functions; the Hudi table code links it.
add_library(sl_hudi_format STATIC
  src/hudi/properties.c src/hudi/keygen.c src/hudi/avro_schema.c src/hudi/bloom.c)
target_include_directories(sl_hudi_format PUBLIC src)
target_link_libraries(sl_hudi_format PUBLIC sl_core PkgConfig::JANSSON ZLIB::ZLIB m)

# The unit test reads the Spark-written fixture tables' base files, hence the parquet reader.
add_executable(test_hudi_format tests/unit/test_hudi_format.c tests/unit/unit.c)
target_include_directories(test_hudi_format PRIVATE tests/unit)
target_compile_definitions(test_hudi_format PRIVATE
  SLUICE_FIXTURES_DIR="${CMAKE_SOURCE_DIR}/tests/fixtures/hudi-spark-tables")
target_link_libraries(test_hudi_format PRIVATE sl_hudi_format sl_parquet_reader sl_storage)
add_test(NAME hudi_format COMMAND test_hudi_format)

# props_parse, schema_from_avro and bloom_deserialize under one fuzz target.
add_executable(replay_hudi_format fuzz/fuzz_hudi_format.c fuzz/replay_main.c)
target_link_libraries(replay_hudi_format PRIVATE sl_hudi_format)
add_test(NAME corpus_hudi_format
  COMMAND replay_hudi_format ${CMAKE_SOURCE_DIR}/fuzz/corpus/hudi_format)
if(SLUICE_FUZZ)
  add_executable(fuzz_hudi_format fuzz/fuzz_hudi_format.c)
  target_link_options(fuzz_hudi_format PRIVATE -fsanitize=fuzzer)
  target_link_libraries(fuzz_hudi_format PRIVATE sl_hudi_format)
endif()
