# Puts nsplan(1) together: the written page (TEMPLATE) with the parts `NSPLAN --generate` makes
# from the command line's definition. Run with cmake -P by the build (CMakeLists.txt).
foreach(part synopsis options commands search-path)
  execute_process(COMMAND ${NSPLAN} --generate man-${part}
                  OUTPUT_VARIABLE generated RESULT_VARIABLE status OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${NSPLAN} --generate man-${part} failed: ${status}")
  endif()
  string(TOUPPER ${part} name)
  string(REPLACE "-" "_" name ${name})
  set(NSPLAN_${name} "${generated}")
endforeach()
configure_file(${TEMPLATE} ${OUTPUT} @ONLY)
