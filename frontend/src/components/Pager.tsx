/** Newer / Older paging of a list the API gives a page at a time, newest first. */

interface Props {
  /** How many of the list come before this page. */
  offset: number;
  /** How many this page shows, of `count` in all. */
  shown: number;
  count: number;
  pageSize: number;
  onOffset: (offset: number) => void;
}

export function Pager({ offset, shown, count, pageSize, onOffset }: Props) {
  return (
    <div class="pager">
      <button type="button" disabled={offset === 0} onClick={() => onOffset(Math.max(0, offset - pageSize))}>Newer</button>
      <span class="muted">{offset + 1}–{offset + shown} of {count}</span>
      <button type="button" disabled={offset + pageSize >= count} onClick={() => onOffset(offset + pageSize)}>Older</button>
    </div>
  );
}
