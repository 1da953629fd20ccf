# Cortex-M55: the flags of mobilec's cortex-m55 target (QEMU board mps3-an547).
#   cmake -S examples/firmware -B build -DCMAKE_TOOLCHAIN_FILE=$PWD/examples/firmware/toolchains/cortex-m55.cmake ...
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR cortex-m55)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
set(CMAKE_C_FLAGS_INIT "-mcpu=cortex-m55 -mthumb -mfloat-abi=hard")
set(CMAKE_ASM_FLAGS_INIT "-mcpu=cortex-m55 -mthumb -mfloat-abi=hard")
# No start-up code or linker script yet while CMake checks the compiler: test with a library.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
