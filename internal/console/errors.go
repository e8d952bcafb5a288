package console

import (
	"net/http"

	"github.com/devhub-oss/devhub/internal/devhub"
)

const reviewerRole = devhub.RoleReviewer

// errorPageFor says what went wrong in words; internal errors say nothing
// of their cause.
func errorPageFor(status int, err error) errorPageData {
	switch status {
	case http.StatusUnauthorized:
		return errorPageData{title: TextPleaseLogIn, heading: TextPleaseLogIn,
			message: "Log in to the platform with your developer account to use Developer Hub."}
	case http.StatusForbidden:
		return errorPageData{title: "Not allowed", heading: "You cannot see this page", message: devhub.ErrorMessage(err)}
	case http.StatusNotFound:
		return errorPageData{title: "Page not found", heading: "Page not found",
			message: "There is nothing here, or it is not yours to see. Check the address, or go back to the dashboard."}
	case http.StatusInternalServerError, http.StatusServiceUnavailable:
		return errorPageData{title: "Something went wrong", heading: "Something went wrong",
			message: "Nothing was changed. Please try again in a moment."}
	}
	return errorPageData{title: "That did not work", heading: "That did not work", message: devhub.ErrorMessage(err)}
}

// marketplaceNotFound is the 404 of every marketplace page: a missing app
// and an app that is not listed say the same.
var marketplaceNotFound = errorPageData{title: "Page not found", heading: "Page not found",
	message: "There is no app here: it may have been removed from the marketplace. Check the address, or browse the marketplace.",
	link:    "/marketplace", linkText: "Go to the marketplace"}
