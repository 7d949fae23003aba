// fulfillment (Go) of the cross-service test (tests/e2e/test_cross_service_e2e.py). The test copies it
// beside the tracing module tracegen generates for the service (../tracing) and runs `go mod tidy`,
// which adds the rest.
module crossapp/fulfillment

go 1.26.0

require (
	crossservice/fulfillment/tracing v0.0.0
	github.com/rabbitmq/amqp091-go v1.16.0
)

replace crossservice/fulfillment/tracing => ../tracing
