# Raspberry Pi 4 (Cortex-A72, aarch64): the flags of mobilec's rpi4 target.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_ASM_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_C_FLAGS_INIT "-mcpu=cortex-a72")
set(CMAKE_ASM_FLAGS_INIT "-mcpu=cortex-a72")
