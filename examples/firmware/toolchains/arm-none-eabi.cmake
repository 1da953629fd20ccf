# Shared by the cortex-m*.cmake toolchain files, which set MOBILEC_CPU_FLAGS
# (the flags of mobilec's target for that core) and include this file.
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
set(CMAKE_C_FLAGS_INIT "${MOBILEC_CPU_FLAGS}")
set(CMAKE_ASM_FLAGS_INIT "${MOBILEC_CPU_FLAGS}")
# No start-up code or linker script yet while CMake checks the compiler: test with a library.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
