package main
import (
 _ "github.com/go-chi/chi/v5"
 _ "github.com/redis/go-redis/v9"
 _ "github.com/prometheus/client_golang/prometheus"
 _ "go.uber.org/zap"
 _ "gopkg.in/yaml.v3"
 _ "go.uber.org/goleak"
)
func main(){}
