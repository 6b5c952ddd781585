import uPlot from 'uplot'
import { h } from './dom.ts'

export interface SeriesSpec {
  label: string
  stroke: string
  fill?: string
  width?: number
}

export interface Chart {
  el: HTMLElement
  /** x in epoch ms, one y array per series. */
  setData(x: number[], ys: (number | null)[][]): void
  /** Vertical marks at times (contract events): drawn over the plot, counted in the figure's `data-marks`. */
  setMarks(marks: Mark[]): void
  destroy(): void
}

export interface Mark {
  x: number
  label: string
}

let firstDrawn = false

/**
 * A uPlot time-series chart sized to its container. After each draw the figure carries `data-points` (x values
 * drawn) for tests and assistive summaries; the first chart with points on a page load sets the performance mark
 * `stele:first-chart`. `onZoom` receives the range the user selected by dragging, in epoch ms.
 */
export function timeChart(
  title: string,
  series: SeriesSpec[],
  opts: { height?: number; onZoom?: (from: number, to: number) => void; bars?: boolean } = {},
): Chart {
  const box = h('div', { class: 'chart-box' })
  const figure = h('figure', { class: 'chart', 'data-points': '0', role: 'group', 'aria-label': title }, box)
  let marks: Mark[] = []
  const width = () => Math.max(280, box.clientWidth || figure.clientWidth || 600)
  const plot = new uPlot(
    {
      width: width(),
      height: opts.height ?? 220,
      ms: 1,
      cursor: { drag: { x: true, y: false, setScale: !opts.onZoom } },
      legend: { live: false },
      scales: { x: { time: true } },
      axes: [{ stroke: 'currentColor' }, { stroke: 'currentColor', size: 56 }],
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.stroke,
          width: s.width ?? 1.5,
          ...(s.fill ? { fill: s.fill } : {}),
          ...(opts.bars ? { paths: uPlot.paths.bars!({ size: [0.7, 12] }), points: { show: false } } : {}),
        })),
      ],
      hooks: {
        setSelect: [
          (u) => {
            if (!opts.onZoom || u.select.width < 4) return
            const from = u.posToVal(u.select.left, 'x')
            const to = u.posToVal(u.select.left + u.select.width, 'x')
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false)
            opts.onZoom(Math.round(from), Math.round(to))
          },
        ],
        draw: [
          (u) => {
            drawMarks(u, marks, figure)
            const n = u.data[0]?.length ?? 0
            figure.dataset['points'] = String(n)
            if (n > 0 && !firstDrawn) {
              firstDrawn = true
              performance.mark('stele:first-chart')
            }
          },
        ],
      },
    },
    [[], ...series.map(() => [])],
    box,
  )
  const resize = new ResizeObserver(() => plot.setSize({ width: width(), height: opts.height ?? 220 }))
  resize.observe(figure)
  return {
    el: figure,
    setData(x, ys) {
      plot.setData([x, ...ys] as uPlot.AlignedData, true)
    },
    setMarks(m) {
      marks = m
      plot.redraw(false)
    },
    destroy() {
      resize.disconnect()
      plot.destroy()
    },
  }
}

/** Marks inside the x range drawn as dashed lines with their label; the count drawn goes to `data-marks`. */
function drawMarks(u: uPlot, marks: Mark[], figure: HTMLElement): void {
  const { left, top, width, height } = u.bbox
  const min = u.scales['x']?.min
  const max = u.scales['x']?.max
  let drawn = 0
  const ctx = u.ctx
  ctx.save()
  ctx.strokeStyle = '#dc2626'
  ctx.fillStyle = '#dc2626'
  ctx.setLineDash([4, 3])
  ctx.font = `${Math.round(11 * devicePixelRatio)}px sans-serif`
  for (const m of marks) {
    if (min === undefined || max === undefined || m.x < min || m.x > max) continue
    const x = Math.round(u.valToPos(m.x, 'x', true))
    ctx.beginPath()
    ctx.moveTo(x, top)
    ctx.lineTo(x, top + height)
    ctx.stroke()
    if (x < left + width - 40) ctx.fillText(m.label, x + 3, top + 12 * devicePixelRatio)
    drawn++
  }
  ctx.restore()
  figure.dataset['marks'] = String(drawn)
}
