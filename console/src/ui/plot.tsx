/**
 * A uPlot time series: x in unix seconds, one or more series, an optional horizontal threshold (the device
 * CPU temperature alert line). Redrawn when the data changes; sized to its container.
 */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface PlotSeries {
  label: string;
  values: (number | null)[];
  color: string;
}

export function Plot(props: { title: string; x: number[]; series: PlotSeries[]; threshold?: number; unit?: string }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const xs = props.x;
    const lines = props.series.map((s) => s.values);
    const series: uPlot.Series[] = [{}, ...props.series.map((s) => ({ label: s.label, stroke: s.color, width: 2 }))];
    if (props.threshold !== undefined) {
      lines.push(xs.map(() => props.threshold ?? null));
      series.push({ label: "alert", stroke: "#d33", dash: [6, 4], width: 1 });
    }
    const plot = new uPlot(
      {
        width: Math.max(el.clientWidth, 280),
        height: 200,
        series,
        axes: [{}, { label: props.unit ?? "" }],
        scales: { x: { time: true } },
        legend: { live: false },
      },
      [xs, ...lines],
      el,
    );
    return () => plot.destroy();
  }, [props.x, props.series, props.threshold, props.unit]);
  return (
    <figure class="plot">
      <figcaption>{props.title}</figcaption>
      <div ref={host} role="img" aria-label={props.title} />
    </figure>
  );
}
