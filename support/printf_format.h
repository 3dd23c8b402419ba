/* printf_format.h — GQC_PRINTF(f, a): the compiler checks a printf-like
 * function's calls (argument f is the format, the variadic ones start at a),
 * where it can (gcc and clang); elsewhere it is nothing. */
#ifndef GQC_SUPPORT_PRINTF_FORMAT_H
#define GQC_SUPPORT_PRINTF_FORMAT_H

#if defined(__GNUC__)
#define GQC_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define GQC_PRINTF(f, a)
#endif

#endif
