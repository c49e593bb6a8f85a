import type { RuntimeSettings } from '../../types.js';
import type { IssueIndex, Path } from './settings-form.js';

/** What every section of the editor gets: the draft, a setter by path, and the issues. */
export type SectionProps = { s: RuntimeSettings; set: (path: Path, value: unknown) => void; server: IssueIndex; hints: IssueIndex };
