// The sample service of tests/e2e/test_sdk_go.py. The test copies it beside the tracing module tracegen
// generates for checkout's fulfillment (../tracing) and runs `go mod tidy`, which adds the rest.
module sample

go 1.26.0

require checkout/fulfillment/tracing v0.0.0

replace checkout/fulfillment/tracing => ../tracing
