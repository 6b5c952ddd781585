import { readFile, writeFile } from 'node:fs/promises'

/**
 * What every gen-*-vectors.ts script does: writes the vectors to core/vectors/<json> and rewrites their generated
 * section of docs/<doc> (between its markers) from them. The matching *-vectors.test.ts fails while either is stale.
 */
export async function regenerate<V>(opts: {
  json: string
  doc: string
  vectors: V
  extract: (doc: string) => string | undefined
  render: (vectors: V) => string
}): Promise<void> {
  await writeFile(
    new URL(`../../core/vectors/${opts.json}`, import.meta.url),
    `${JSON.stringify(opts.vectors, null, 2)}\n`,
  )
  const docUrl = new URL(`../../docs/${opts.doc}`, import.meta.url)
  const doc = await readFile(docUrl, 'utf8')
  const current = opts.extract(doc)
  if (current === undefined) throw new Error(`docs/${opts.doc} has no markers of the section of ${opts.json}`)
  await writeFile(docUrl, doc.replace(current, opts.render(opts.vectors)))
  console.log(`wrote core/vectors/${opts.json} and its section of docs/${opts.doc}`)
}
