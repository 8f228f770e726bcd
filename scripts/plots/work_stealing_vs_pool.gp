# work_stealing_vs_pool.gp: when work stealing pays (work_stealing): for
# each workload, tl_pool's median wall time over each other strategy's, at
# the most threads measured. Above the line at 1 the strategy beat
# tl_pool's shared queue (oneTBB steals; libgomp and GThreadPool share one
# queue; libomp steals). Series: strategies; points: x (the workload's
# index), the ratio and its band (tl_pool's median over the strategy's
# CI). Variables: case_tics, the workloads' names at x = 0, 1, ...;
# top_threads, the T the points are at.
load 'common.gp'
set xtics @case_tics scale 0
set xrange [-0.5:*]
set offsets 0, 0.5, 0, 0
set logscale y 2
set ylabel 'tl_pool wall time / strategy wall time (log scale; above 1: faster than tl_pool)'
set xlabel sprintf('workload, on %d threads', top_threads)
set grid noxtics
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 3 lw 1.5 lc rgb '#999999' back
set label 'tl_pool (shared queue)' at graph 0.01, first 1 offset 0,0.6 tc rgb '#666666' font ',10'
plot for [i=1:n] file(i) using (dodge(i, $1 + 1) - 1):2:3:4 with yerrorbars @style title columnheader(1)
