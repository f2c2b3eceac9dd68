# Wall times per scenario and tool (log scale), from the data report.py
# writes.  gnuplot -e "datafile='...'; outfile='...'; subtitle='...'" chart.gp
# Data columns: x, label, seconds, colour index, group.
set terminal pngcairo size 1200,640 font "sans,10" noenhanced
set output outfile
set title "scrape_jobs benchmark: wall time per scenario and tool, scrape_jobs to completed (median, log scale; lower is better)\n".subtitle
set logscale y
set yrange [0.01:*]
set ylabel "seconds"
set grid ytics mytics lc rgb "#dddddd"
set style fill solid 0.85 border -1
set boxwidth 0.8
set xtics rotate by -35 left nomirror font ",9"
set key off
set xrange [-0.7:*]
set rmargin 12
set palette maxcolors 5
set palette defined (0 "#1f77b4", 1 "#9ecae1", 2 "#ff7f0e", 3 "#2ca02c", 4 "#7f7f7f")
unset colorbox
set cbrange [0:4]
plot datafile using 1:3:4:xtic(2) with boxes lc palette, \
     '' using 1:($3 * 1.18):(sprintf("%.2f", $3)) with labels font ",8", \
     '' using 1:(0.013):5 with labels font ",9" tc rgb "#444444"
