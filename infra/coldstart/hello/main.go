// Command hello is the hello-world Lambda function that infra/coldstart
// compares devhub's functions with: aws-lambda-go and nothing else.
package main

import "github.com/aws/aws-lambda-go/lambda"

func main() {
	lambda.Start(func() (string, error) { return "hello", nil })
}
