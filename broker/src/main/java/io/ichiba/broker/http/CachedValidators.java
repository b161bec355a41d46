package io.ichiba.broker.http;

import io.vertx.core.file.FileSystem;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.SchemaRepository;
import io.vertx.json.schema.Validator;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.OpenAPIVersion;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Path;
import io.vertx.openapi.contract.SecurityRequirement;
import io.vertx.openapi.contract.SecurityScheme;
import io.vertx.openapi.contract.Server;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The contract with its JSON-schema validators built once per schema instead of once per request.
 *
 * <p>vertx-openapi 5.0 asks the contract's {@link SchemaRepository} for a new validator of a parameter's or a body's
 * schema on every request, and building one copies the repository's whole lookup table: measured, that was most of
 * the broker's CPU under load (bench/, issue 13). A validator holds only final, read-only state, so one per schema
 * serves every request. The schemas are the contract's own objects, the same at every request: the cache is keyed
 * by identity and bounded all the same. Each validator checks with a compiled fast path first ({@link FastValidator}).
 */
final class CachedValidators implements OpenAPIContract {
    private static final int MAX = 10_000;

    private final OpenAPIContract contract;
    private final SchemaRepository repository;

    CachedValidators(OpenAPIContract contract) {
        this.contract = contract;
        this.repository = new Repository(contract.getSchemaRepository());
    }

    @Override
    public SchemaRepository getSchemaRepository() {
        return repository;
    }

    @Override
    public Operation operation(String operationId) {
        return contract.operation(operationId);
    }

    @Override
    public List<Operation> operations() {
        return contract.operations();
    }

    @Override
    public List<Path> getPaths() {
        return contract.getPaths();
    }

    @Override
    public JsonObject getRawContract() {
        return contract.getRawContract();
    }

    @Override
    public OpenAPIVersion getVersion() {
        return contract.getVersion();
    }

    @Override
    public List<Server> getServers() {
        return contract.getServers();
    }

    @Override
    public Path findPath(String urlPath) {
        return contract.findPath(urlPath);
    }

    @Override
    public Operation findOperation(String urlPath, HttpMethod method) {
        return contract.findOperation(urlPath, method);
    }

    @Override
    public List<SecurityRequirement> getSecurityRequirements() {
        return contract.getSecurityRequirements();
    }

    @Override
    public SecurityScheme securityScheme(String name) {
        return contract.securityScheme(name);
    }

    /** A schema and how it is validated, compared by the schema's identity. */
    private record Key(JsonSchema schema, JsonSchemaOptions options, boolean dereference) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.schema == schema && k.options == options && k.dereference == dereference;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(schema) * 31 + System.identityHashCode(options) + (dereference ? 1 : 0);
        }
    }

    private static final class Repository implements SchemaRepository {
        private final SchemaRepository inner;
        private final ConcurrentHashMap<Key, Validator> validators = new ConcurrentHashMap<>();

        Repository(SchemaRepository inner) {
            this.inner = inner;
        }

        private Validator cached(Key key, java.util.function.Supplier<Validator> make) {
            Validator v = validators.get(key);
            if (v != null) {
                return v;
            }
            v = make.get();
            if (validators.size() < MAX) {
                validators.putIfAbsent(key, v);
            }
            return v;
        }

        @Override
        public Validator validator(JsonSchema schema) {
            return cached(new Key(schema, null, false), () -> FastValidator.of(schema, inner.validator(schema)));
        }

        @Override
        public Validator validator(JsonSchema schema, JsonSchemaOptions options) {
            return cached(new Key(schema, options, false),
                    () -> FastValidator.of(schema, inner.validator(schema, options)));
        }

        @Override
        public Validator validator(JsonSchema schema, JsonSchemaOptions options, boolean dereference) {
            return cached(new Key(schema, options, dereference),
                    () -> FastValidator.of(schema, inner.validator(schema, options, dereference)));
        }

        @Override
        public Validator validator(String ref) {
            return inner.validator(ref);
        }

        @Override
        public Validator validator(String ref, JsonSchemaOptions options) {
            return inner.validator(ref, options);
        }

        @Override
        public SchemaRepository dereference(JsonSchema schema) {
            inner.dereference(schema);
            return this;
        }

        @Override
        public SchemaRepository dereference(String uri, JsonSchema schema) {
            inner.dereference(uri, schema);
            return this;
        }

        @Override
        public SchemaRepository preloadMetaSchema(FileSystem fs) {
            inner.preloadMetaSchema(fs);
            return this;
        }

        @Override
        public SchemaRepository preloadMetaSchema(FileSystem fs, io.vertx.json.schema.Draft draft) {
            inner.preloadMetaSchema(fs, draft);
            return this;
        }

        @Override
        public JsonObject resolve(JsonObject schema) {
            return inner.resolve(schema);
        }

        @Override
        public JsonSchema find(String pointer) {
            return inner.find(pointer);
        }
    }
}
