/* A stand-in bcryptprimitives.dll for Wine prefixes that lack one (Debian's Wine 8).
 * Go 1.22+ Windows binaries import ProcessPrng from it at start-up; this provides it on top of
 * RtlGenRandom (advapi32!SystemFunction036), which Wine implements. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
