/* threadlab.h: the whole library in one include. */
#ifndef THREADLAB_H
#define THREADLAB_H

#include "threadlab/thread.h"
#include "threadlab/scope.h"
#if __has_include("threadlab/pool.h")
#include "threadlab/pool.h"
#endif
#if __has_include("threadlab/topo.h")
#include "threadlab/topo.h"
#endif

#endif /* THREADLAB_H */
