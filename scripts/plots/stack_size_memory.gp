# stack_size_memory.gp: what a thread's stack takes (stack_size, section
# memory): address space reserved and resident memory (RSS) per thread,
# against the stack size, untouched or with some of it written. Points:
# stack bytes, median bytes per thread, 95% CI. Log-log.
load 'common.gp'
set logscale x 2
set logscale y 2
set xtics @bytes_tics
set ytics @bytes_tics
set xlabel 'stack size (log scale)'
set ylabel 'memory per thread (log scale)'
# An untouched stack costs a page or two of RSS: keep that line off the axis.
set yrange [1024:*]
plot for [i=1:n] file(i) using (dodge(i, $1)):2:3:4 with yerrorlines @style title columnheader(1)
