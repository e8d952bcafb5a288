package preview

import _ "embed"

// CSS styles the preview's pv-* classes; the console serves it as part of
// its one stylesheet.
//
//go:embed assets/preview.css
var CSS string

// JS asks the server for the preview as the developer types (debounced) and
// swaps it in; without it, the form's "Preview" button draws the same. The
// console serves it from /static/ to the extension form pages only. It
// expects a form with data-preview-url (the preview endpoint) and
// data-preview-target (the id of the preview's container), and the editor
// marked data-preview-source.
//
//go:embed assets/preview.js
var JS string
