// Package jsv6 is github.com/santhosh-tekuri/jsonschema/v6 v6.0.3 (Apache
// License 2.0, see LICENSE), the JSON Schema compiler internal/jsonschema
// checks developers' documents with, copied here with local changes:
//
//   - the meta-schemas of every draft are compiled on first use (loadDrafts
//     in draft.go) instead of in init(). Upstream, importing the package cost
//     each cold start of the extensions Lambda about 3 ms and 21k
//     allocations, most of its init, although most invocations never check a
//     document.
//   - error messages are formatted by kind.Printer (kind/printer.go), a small
//     fmt-based printer giving the same English text, instead of
//     golang.org/x/text/message.NewPrinter(language.English): x/text cost
//     each Lambda that links the package about 230 KB. The Localized*
//     methods take a *kind.Printer accordingly.
//
// Nothing else differs from upstream (the package name and the kind import
// path aside); update it by copying the new release's non-test files over and
// re-applying those changes.
package jsv6
