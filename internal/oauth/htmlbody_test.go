package oauth_test

import "github.com/getkin/kin-openapi/openapi3filter"

// The OpenAPI document describes HTML pages as strings, so that response
// validation reads them as such.
func init() { openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder) }
