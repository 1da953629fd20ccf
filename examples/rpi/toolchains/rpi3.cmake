# Raspberry Pi 3 and Zero 2 W (Cortex-A53, aarch64): the flags of mobilec's rpi3 target.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_ASM_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_C_FLAGS_INIT "-mcpu=cortex-a53")
set(CMAKE_ASM_FLAGS_INIT "-mcpu=cortex-a53")
