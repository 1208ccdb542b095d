package openapi

import (
	"context"
	"fmt"
	"io"
	"net/http"
)

// MaxDocumentBytes bounds a fetched document: Retool's is 1.4 MB; anything near this
// is not a document we should hold in memory per upstream.
const MaxDocumentBytes = 32 << 20

// HTTPFetch returns a Fetch that GETs specURL with client, after authorize has put the
// org token on the request. Wrap it to charge the budget when spec.cost says so.
// Errors name the status but carry no body: an upstream error page is not logged.
func HTTPFetch(client *http.Client, specURL string, authorize func(*http.Request)) func(context.Context) ([]byte, error) {
	return func(ctx context.Context) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, specURL, nil)
		if err != nil {
			return nil, fmt.Errorf("fetch OpenAPI document: %w", err)
		}
		req.Header.Set("Accept", "application/json")
		if authorize != nil {
			authorize(req)
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("fetch OpenAPI document: %w", err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
			return nil, fmt.Errorf("fetch OpenAPI document: the upstream answered %s", resp.Status)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, MaxDocumentBytes+1))
		if err != nil {
			return nil, fmt.Errorf("fetch OpenAPI document: %w", err)
		}
		if len(data) > MaxDocumentBytes {
			return nil, fmt.Errorf("fetch OpenAPI document: larger than %d bytes", MaxDocumentBytes)
		}
		return data, nil
	}
}
