package io.quiclb.appliance.openapi;

import com.fasterxml.jackson.databind.SerializationFeature;
import io.swagger.v3.core.util.Json;
import io.swagger.v3.core.util.Yaml;
import io.swagger.v3.jaxrs2.Reader;
import io.swagger.v3.jaxrs2.integration.JaxrsAnnotationScanner;
import io.swagger.v3.oas.integration.SwaggerConfiguration;
import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.info.License;
import io.swagger.v3.oas.models.media.ArraySchema;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Response;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code GET /api/v1/openapi.json} and {@code GET /api/v1/openapi.yaml}: the OpenAPI 3 description of
 * {@code /api/v1}. Swagger reads the JAX-RS resources of {@value #RESOURCE_PACKAGE} (and no other package) once, on
 * the first request: their paths, methods, path parameters, request bodies and response types. This class adds
 * what the resources do not say: the bearer security scheme ({@code BearerAuthFilter}), a 401 on every operation and a
 * 403 on every change, 204 for deletes, JSON request bodies, a tag per collection ({@code configs}, {@code servers},
 * ...) and an operation ID made of the method and the path ({@code getConfigsByConfigId}). The bearer filter guards
 * these two paths like every other: they need the read token.
 *
 * <p><b>Thread safety:</b> Jersey calls it from many threads; the description is built once under a lock and then
 * read through a volatile field.
 */
@Path("/api/v1/openapi.{type:json|yaml}")
public final class OpenApiDocumentResource {
    /** The package whose JAX-RS resources are described. */
    public static final String RESOURCE_PACKAGE = "io.quiclb.appliance.resources";
    /** The media type of the YAML form (RFC 9512). */
    public static final String APPLICATION_YAML = "application/yaml";
    private static final String API_PREFIX = "/api/v1/";
    private static final String SCHEME = "bearer";
    private static final String ERROR_SCHEMA = "ApiError";

    private final Object lock = new Object();
    private volatile Texts texts;

    /** The description in both forms, written once. */
    private record Texts(String json, String yaml) {
    }

    /** Describes the resources of {@value #RESOURCE_PACKAGE}, on the first request. */
    public OpenApiDocumentResource() {
        // Nothing until the first request.
    }

    /**
     * @param type {@code json} or {@code yaml}
     * @return the description in that form
     */
    @GET
    @Produces({jakarta.ws.rs.core.MediaType.APPLICATION_JSON, APPLICATION_YAML})
    public Response get(@PathParam("type") String type) {
        Texts description = texts();
        return "yaml".equals(type) ? Response.ok(description.yaml(), APPLICATION_YAML).build()
                : Response.ok(description.json(), jakarta.ws.rs.core.MediaType.APPLICATION_JSON_TYPE).build();
    }

    /**
     * Built on the first request rather than at startup: scanning and reading the resources takes about a second,
     * which a restart of the load balancer should not wait for, and a description that cannot be built then fails
     * only this endpoint.
     */
    private Texts texts() {
        Texts built = texts;
        if (built == null) {
            synchronized (lock) {
                built = texts;
                if (built == null) {
                    OpenAPI description = describe(RESOURCE_PACKAGE);
                    try {
                        // Map entries (paths, schemas, responses) by key: the same text whatever order the scan found
                        // them in.
                        built = new Texts(Json.mapper().copy().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
                                .writerWithDefaultPrettyPrinter().writeValueAsString(description),
                                Yaml.mapper().copy().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
                                        .writeValueAsString(description));
                    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                        throw new UncheckedIOException("quiclb: cannot write the OpenAPI description", e);
                    }
                    texts = built;
                }
            }
        }
        return built;
    }

    /**
     * The description of the JAX-RS resources in one package, with the additions in the class comment.
     *
     * @param resourcePackage the package to scan, and only it
     * @return the description
     */
    static OpenAPI describe(String resourcePackage) {
        OpenAPI base = new OpenAPI()
                .info(new Info().title("quiclb REST API").version("v1")
                        .description("The QUIC-LB appliance's configs, servers, routing decisions and counters "
                                + "(docs/api.md). GET needs api.readToken or api.adminToken; PUT, PATCH, POST and "
                                + "DELETE need api.adminToken. PATCH takes a JSON Merge Patch (RFC 7396) of the PUT "
                                + "body; every change takes ?dryRun=true, and ?force=true when it would break live "
                                + "connections (409 otherwise).")
                        .license(new License().name("Apache-2.0")
                                .url("https://www.apache.org/licenses/LICENSE-2.0")))
                .components(new Components()
                        .addSecuritySchemes(SCHEME, new SecurityScheme().type(SecurityScheme.Type.HTTP)
                                .scheme("bearer")
                                .description("api.readToken (GET) or api.adminToken (everything)"))
                        .addSchemas(ERROR_SCHEMA, new ObjectSchema()
                                .addProperty("code", new IntegerSchema())
                                .addProperty("errors", new ArraySchema().items(new StringSchema()))))
                .addSecurityItem(new SecurityRequirement().addList(SCHEME));
        SwaggerConfiguration configuration = new SwaggerConfiguration().openAPI(base)
                .resourcePackages(Set.of(resourcePackage)).defaultResponseCode("200");
        JaxrsAnnotationScanner<?> scanner = new JaxrsAnnotationScanner<>();
        scanner.setConfiguration(configuration);
        OpenAPI description = new Reader(configuration).read(scanner.classes());
        if (description.getPaths() != null) {
            description.getPaths().forEach(OpenApiDocumentResource::complete);
        }
        return description;
    }

    private static void complete(String path, PathItem item) {
        String tail = path.startsWith(API_PREFIX) ? path.substring(API_PREFIX.length()) : path;
        for (Map.Entry<PathItem.HttpMethod, Operation> entry : item.readOperationsMap().entrySet()) {
            PathItem.HttpMethod method = entry.getKey();
            Operation operation = entry.getValue();
            // The scan order decides swagger's suffixes (get, get_1, ...); method and path name each one for good.
            operation.setOperationId(operationId(method, tail));
            if (operation.getTags() == null || operation.getTags().isEmpty()) {
                operation.setTags(List.of(tail.split("/", 2)[0]));
            }
            // Unannotated resources consume anything as far as swagger knows; Dropwizard's provider reads JSON.
            if (operation.getRequestBody() != null && operation.getRequestBody().getContent() != null) {
                Content content = operation.getRequestBody().getContent();
                MediaType any = content.remove("*/*");
                if (any != null) {
                    content.addMediaType(jakarta.ws.rs.core.MediaType.APPLICATION_JSON, any);
                }
            }
            ApiResponses responses = operation.getResponses() == null ? new ApiResponses() : operation.getResponses();
            ApiResponse ok = responses.get("200");
            if (ok != null && method == PathItem.HttpMethod.DELETE && !hasSchema(ok)) {
                responses.remove("200");
                responses.addApiResponse("204", new ApiResponse().description("deleted"));
            } else if (ok != null && "default response".equals(ok.getDescription())) {
                ok.setDescription("OK");
            }
            responses.addApiResponse("401", error("no token, or a wrong one"));
            if (method != PathItem.HttpMethod.GET && method != PathItem.HttpMethod.HEAD) {
                responses.addApiResponse("403", error("the read token on a change; changes need api.adminToken"));
            }
            operation.setResponses(responses);
        }
    }

    /** {@code GET configs/{configId}} is {@code getConfigsByConfigId}; {@code POST servers/{name}/drain} is
     * {@code postServersByNameDrain}. */
    private static String operationId(PathItem.HttpMethod method, String tail) {
        StringBuilder id = new StringBuilder(method.name().toLowerCase(Locale.ROOT));
        for (String segment : tail.split("/")) {
            boolean parameter = segment.startsWith("{") && segment.endsWith("}");
            String word = parameter ? segment.substring(1, segment.length() - 1) : segment;
            if (!word.isEmpty()) {
                id.append(parameter ? "By" : "").append(Character.toUpperCase(word.charAt(0))).append(word.substring(1));
            }
        }
        return id.toString();
    }

    private static boolean hasSchema(ApiResponse response) {
        return response.getContent() != null
                && response.getContent().values().stream().anyMatch(media -> media.getSchema() != null);
    }

    private static ApiResponse error(String description) {
        Schema<?> reference = new Schema<>().$ref("#/components/schemas/" + ERROR_SCHEMA);
        return new ApiResponse().description(description).content(new Content().addMediaType(
                jakarta.ws.rs.core.MediaType.APPLICATION_JSON, new MediaType().schema(reference)));
    }
}
