# Cortex-M3: the flags of mobilec's cortex-m3 target (QEMU board mps2-an385).
#   cmake -S examples/firmware -B build -DCMAKE_TOOLCHAIN_FILE=$PWD/examples/firmware/toolchains/cortex-m3.cmake ...
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR cortex-m3)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
set(CMAKE_C_FLAGS_INIT "-mcpu=cortex-m3 -mthumb -mfloat-abi=soft")
set(CMAKE_ASM_FLAGS_INIT "-mcpu=cortex-m3 -mthumb -mfloat-abi=soft")
# No start-up code or linker script yet while CMake checks the compiler: test with a library.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
