# Cross-compiling for linux-arm64 with Debian's g++-aarch64-linux-gnu
# (apt-get install g++-aarch64-linux-gnu): scripts/prebuild.js passes this
# file as CMAKE_TOOLCHAIN_FILE for the arm64 prebuilt binary.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

# Libraries and headers come from the cross sysroot only, never from the
# build machine's /usr (x86-64 objects and headers); programs the build
# runs (node, for node-addon-api's include path) stay the host's.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
