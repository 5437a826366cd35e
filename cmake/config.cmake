# config: the YAML configuration file -> typed structs through one table of
# keys (src/config/keys.c). libyaml comes from Debian's libyaml-dev (pkg-config
# yaml-0.1). Included at the end of CMakeLists.txt, after sluice and sl_hudi exist.
pkg_check_modules(YAML REQUIRED IMPORTED_TARGET yaml-0.1)
add_library(sl_config STATIC src/config/config.c src/config/keys.c)
target_link_libraries(sl_config PUBLIC sl_core PkgConfig::YAML)

# sluice apply --config
target_link_libraries(sluice PRIVATE sl_config)

# sl_hudi only for the cross-check of the built-in defaults against
# sl_hudi_write_options_default.
add_executable(test_config tests/unit/test_config.c tests/unit/unit.c)
target_include_directories(test_config PRIVATE tests/unit)
target_link_libraries(test_config PRIVATE sl_config sl_hudi)
add_test(NAME config COMMAND test_config)

add_executable(replay_config fuzz/fuzz_config.c fuzz/replay_main.c)
target_link_libraries(replay_config PRIVATE sl_config)
add_test(NAME corpus_config COMMAND replay_config ${CMAKE_SOURCE_DIR}/fuzz/corpus/config)
if(SLUICE_FUZZ)
  add_executable(fuzz_config fuzz/fuzz_config.c)
  target_link_options(fuzz_config PRIVATE -fsanitize=fuzzer)
  target_link_libraries(fuzz_config PRIVATE sl_config)
endif()
