# S3 backend of the storage module (issue 5): SigV4 signing, AWS-style
# configuration, a bounded XML reader, the retry policy, the HTTP client
# (libcurl; SHA-256/HMAC from OpenSSL's libcrypto) and the store itself.
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED COMPONENTS Crypto)
target_sources(sl_storage PRIVATE
  src/storage/s3_sigv4.c src/storage/s3_config.c src/storage/s3_xml.c src/storage/s3_retry.c
  src/storage/s3_http.c src/storage/s3_store.c)
target_link_libraries(sl_storage PUBLIC CURL::libcurl OpenSSL::Crypto Threads::Threads)

# Signing against AWS's test-suite vectors, configuration, XML and retry decisions.
add_executable(test_s3 tests/unit/test_s3.c tests/unit/unit.c)
target_include_directories(test_s3 PRIVATE tests/unit src/storage)
target_compile_definitions(test_s3 PRIVATE
  SLUICE_SIGV4_DATA_DIR="${CMAKE_SOURCE_DIR}/tests/unit/data/sigv4")
target_link_libraries(test_s3 PRIVATE sl_storage)
add_test(NAME s3 COMMAND test_s3)

# A small C tool over the object-store interface for tests/integration/test_s3_store.py.
add_executable(s3_store_tool tests/unit/s3_store_tool.c)
target_link_libraries(s3_store_tool PRIVATE sl_storage)

# S3's XML answers and the AWS config files are outside bytes: fuzzed, corpora replayed in ctest.
foreach(f s3_xml s3_config)
  add_executable(replay_${f} fuzz/fuzz_${f}.c fuzz/replay_main.c)
  target_include_directories(replay_${f} PRIVATE src/storage)
  target_link_libraries(replay_${f} PRIVATE sl_storage)
  add_test(NAME corpus_${f} COMMAND replay_${f} ${CMAKE_SOURCE_DIR}/fuzz/corpus/${f})
  if(SLUICE_FUZZ)
    add_executable(fuzz_${f} fuzz/fuzz_${f}.c)
    target_include_directories(fuzz_${f} PRIVATE src/storage)
    target_link_options(fuzz_${f} PRIVATE -fsanitize=fuzzer)
    target_link_libraries(fuzz_${f} PRIVATE sl_storage)
  endif()
endforeach()
