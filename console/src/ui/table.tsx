/**
 * A data table: columns as (heading, cell renderer), an empty state, and rows a test can count
 * (`data-row` on each row). Wide tables scroll sideways on a phone instead of squeezing.
 */
import type { ComponentChildren } from "preact";

export interface Column<T> {
  head: string;
  cell: (row: T) => ComponentChildren;
}

export function Table<T>(props: {
  rows: readonly T[] | undefined;
  columns: Column<T>[];
  empty?: string;
  label: string;
}) {
  const rows = props.rows ?? [];
  return (
    <div class="table-wrap" tabIndex={0} aria-label={props.label} role="region">
      <table>
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th scope="col" key={c.head}>
                {c.head}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={props.columns.length} class="muted">
                {props.empty ?? "Nothing here yet."}
              </td>
            </tr>
          ) : (
            rows.map((r, i) => (
              <tr data-row key={i}>
                {props.columns.map((c) => (
                  <td key={c.head}>{c.cell(r)}</td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}
