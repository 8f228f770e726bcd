# pool_grain.gp: when a pool beats raw threads (pool_vs_raw, section
# grain): top, the overhead each task pays against its grain (the work in
# it); bottom, the efficiency (useful work / (wall time x workers)).
# Series: strategies; points: grain ns, overhead ns and its band,
# efficiency and its band. Variable: grain_tics, a tic at each grain
# measured (grain 0 sits a decade left of the smallest, labelled "0").
load 'common.gp'
unset title
set multiplot layout 2,1 title heading margins 0.1, 0.95, 0.2, 0.9 spacing 0, 0.1
set logscale x 10
set xtics @grain_tics
set xlabel 'task grain: work per task (log scale; 0 = empty tasks)'

set logscale y 10
set ytics @ns_tics
set ylabel 'overhead per task (log scale)'
set key off
plot for [i=1:n] file(i) using (dodge(i, $1)):2:3:4 with yerrorlines @style notitle

unset logscale y
set ytics auto
set yrange [0:1.05]
set ylabel 'efficiency (work / (wall time × workers))'
set key below
plot 1 with lines dt 3 lw 1.5 lc rgb '#999999' notitle, \
     for [i=1:n] file(i) using (dodge(i, $1)):5:6:7 with yerrorlines @style title columnheader(1)
unset multiplot
