/* A stand-in for Windows' bcryptprimitives.dll, for the tests only: Rust's
 * standard library (1.78 and later) asks it for ProcessPrng, which real
 * Windows 10 and later have and Debian's Wine 8.0 lacks.  It forwards to
 * BCryptGenRandom, which Wine has.  Built by tests/test_windows.py with
 * mingw-w64 beside the exe under test; never shipped. */
#include <windows.h>
#include <bcrypt.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
  return BCryptGenRandom(NULL, data, (ULONG)len, BCRYPT_USE_SYSTEM_PREFERRED_RNG) == 0;
}
