package api
import _ "github.com/getkin/kin-openapi/openapi3filter"
import _ "github.com/getkin/kin-openapi/routers/legacy"
import _ "github.com/gin-gonic/gin"
