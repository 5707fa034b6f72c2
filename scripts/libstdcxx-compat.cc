// Linked into the release binary with Debian 11's libstdc++.a (GCC 10), by scripts/debian-root
// sysroot and Package.swift. The Swift runtime's static libraries were compiled with GCC 12's
// headers, which call this function; GCC 11 added it to libstdc++. Its body is libstdc++'s own
// (functexcept.cc): throw std::bad_array_new_length.
#include <new>

namespace std {
[[noreturn]] void __throw_bad_array_new_length() { throw bad_array_new_length(); }
}  // namespace std
