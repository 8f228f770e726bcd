/* threadlab/export.h: TL_API marks what libthreadlab exports. The library
 * is built with -fvisibility=hidden, so the shared library's symbol table
 * holds the public API (and the tl__*_at entry points behind its macros)
 * and nothing else. */
#ifndef THREADLAB_EXPORT_H
#define THREADLAB_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define TL_API __attribute__((visibility("default")))
#else
#define TL_API
#endif

#endif /* THREADLAB_EXPORT_H */
