/** A machine code paired with its user-visible (Chinese) label, the shape every picker and report uses. */
export interface Labelled {
  code: string;
  label: string;
}

/** Builds a {@link Labelled} pair, so callers never hand-assemble the object. */
export function labelled(code: string, label: string): Labelled {
  return { code, label };
}
