# Raspberry Pi 5 (Cortex-A76, aarch64 with the dot-product instructions): the flags of mobilec's rpi5 target.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_ASM_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_C_FLAGS_INIT "-mcpu=cortex-a76")
set(CMAKE_ASM_FLAGS_INIT "-mcpu=cortex-a76")
