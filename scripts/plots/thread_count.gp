# thread_count.gp: how many threads a workload wants (thread_count, one
# chart per workload). Top: speedup over one thread against T, with the
# ideal speedup (= T); bottom: efficiency (speedup / T), ideal 1. Series:
# strategy and pin policy; points: threads, speedup and its band, efficiency
# and its band (the bands come from the wall time's 95% CI). Variable:
# workload ('CPU-bound'...).
load 'common.gp'
unset title
set multiplot layout 2,1 title heading margins 0.1, 0.95, 0.2, 0.9 spacing 0, 0.1
set logscale x 2
set xlabel 'threads (T, log scale)'

set logscale y 2
set ylabel 'speedup over 1 thread (×, log scale)'
set key off
plot x with lines dt 3 lw 1.5 lc rgb '#999999' notitle, \
     for [i=1:n] file(i) using (dodge(i, $1)):2:3:4 with yerrorlines @style notitle

unset logscale y
set yrange [0:1.15]
set ylabel 'efficiency (speedup / T)'
unset label  # the reference lines were labelled in the top panel
set key below
plot 1 with lines dt 3 lw 1.5 lc rgb '#999999' title 'ideal (speedup T, efficiency 1)', \
     for [i=1:n] file(i) using (dodge(i, $1)):5:6:7 with yerrorlines @style title columnheader(1)
unset multiplot
