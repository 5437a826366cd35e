# storage: streams, object stores (local, fault-injecting wrapper; s3 in issue 5)
add_library(sl_storage STATIC
  src/storage/file_stream.c src/storage/object_store.c src/storage/local_store.c
  src/storage/faulty_store.c)
target_link_libraries(sl_storage PUBLIC sl_core Threads::Threads)

add_executable(test_storage tests/unit/test_storage.c tests/unit/unit.c)
target_include_directories(test_storage PRIVATE tests/unit)
target_link_libraries(test_storage PRIVATE sl_storage)
add_test(NAME storage COMMAND test_storage)

add_executable(test_object_store tests/unit/test_object_store.c tests/unit/unit.c)
target_include_directories(test_object_store PRIVATE tests/unit)
target_link_libraries(test_object_store PRIVATE sl_storage Threads::Threads)
add_test(NAME object_store COMMAND test_object_store)

# The fault-plan text comes from the environment (SLUICE_FAULT_INJECT) and
# object keys from callers: both parsers replay their corpus in ctest.
add_executable(replay_storage_names fuzz/fuzz_storage_names.c fuzz/replay_main.c)
target_link_libraries(replay_storage_names PRIVATE sl_storage)
add_test(NAME corpus_storage_names
  COMMAND replay_storage_names ${CMAKE_SOURCE_DIR}/fuzz/corpus/storage_names)
if(SLUICE_FUZZ)
  add_executable(fuzz_storage_names fuzz/fuzz_storage_names.c)
  target_link_options(fuzz_storage_names PRIVATE -fsanitize=fuzzer)
  target_link_libraries(fuzz_storage_names PRIVATE sl_storage)
endif()
