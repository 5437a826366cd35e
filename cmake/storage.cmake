add_library(sl_storage STATIC src/storage/file_stream.c)
target_link_libraries(sl_storage PUBLIC sl_core)

add_executable(test_storage tests/unit/test_storage.c tests/unit/unit.c)
target_include_directories(test_storage PRIVATE tests/unit)
target_link_libraries(test_storage PRIVATE sl_storage)
add_test(NAME storage COMMAND test_storage)
