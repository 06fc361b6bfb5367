# Writes what `NSPLAN ARGS` prints to OUTPUT, and fails the build when nsplan fails: the
# generated man pages and completions (CMakeLists.txt). Run with cmake -P.
separate_arguments(args UNIX_COMMAND "${ARGS}")
execute_process(COMMAND ${NSPLAN} ${args} OUTPUT_FILE ${OUTPUT} RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  file(REMOVE ${OUTPUT})
  message(FATAL_ERROR "${NSPLAN} ${ARGS} failed: ${status}")
endif()
