package oauth_test

import "github.com/getkin/kin-openapi/openapi3filter"

// The OpenAPI document describes HTML pages as strings and the icon as
// binary, so that response validation reads them as such.
func init() {
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("image/x-icon", openapi3filter.FileBodyDecoder)
}
