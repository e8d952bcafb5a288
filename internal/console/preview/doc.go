// Package preview draws a JSON modal's json_schema and a JSON panel's
// data_structure as the platform would show them — a modal's blocks and
// action buttons, a panel's objects and fields — as an HTML fragment for the
// console's App extensions tab, with each of the validator's problems shown
// at the block, action or field it is about, and those with no place in a
// summary above.
//
// It reads documents itself (keeping member order, which the platform's
// rendering follows and encoding/json forgets, and the line each value is
// on, so that each problem names the editor line it points at) but judges
// nothing: the problems come from a devhub.SchemaChecker, or from a refused
// save's field errors. It is lenient where the validator is strict, drawing
// whatever it can of a document with problems.
//
// It is a picture, not a form: nothing in it is a control, so it adds no
// buttons or text boxes to the page around it (the editor's own "Save" and a
// modal's "Save" action stay apart for people and for tests alike).
//
// Input is untrusted: every string of the document is escaped, documents
// over devhub.MaxSchemaBytes or nesting deeper than 32 levels are refused,
// and what one preview draws is bounded. It never panics on any input (see
// FuzzPreview). It knows nothing of HTTP, sessions or storage.
package preview
