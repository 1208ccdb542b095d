package routes

// The methods a route may name. Anything else (OPTIONS, TRACE, CONNECT, or a
// lower-case spelling) is unknown and never forwarded.
const (
	mGET = iota
	mHEAD
	mPOST
	mPUT
	mPATCH
	mDELETE
	numMethods
)

const methodList = "GET, HEAD, POST, PUT, PATCH, DELETE"

// methodIndex is a switch, not a map, so Match stays allocation- and hash-free.
func methodIndex(m string) (int, bool) {
	switch m {
	case "GET":
		return mGET, true
	case "HEAD":
		return mHEAD, true
	case "POST":
		return mPOST, true
	case "PUT":
		return mPUT, true
	case "PATCH":
		return mPATCH, true
	case "DELETE":
		return mDELETE, true
	}
	return 0, false
}
