import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { EmbeddingClient, EmbeddingError, EmbeddingRegistry, LettaEmbeddingConfig } from '@engram/embeddings';
import { DomainError, InvalidInputError } from '../common/errors';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';

/** A vector and the model that made it. */
export interface EmbeddedText {
  handle: string;
  dim: number;
  vectors: number[][];
}

/**
 * The embedding registry of this process (from the validated environment), with errors turned
 * into domain errors: an unconfigured or unknown model is the caller's 422, a provider failure a 502.
 */
@Injectable()
export class EmbeddingsService {
  private readonly registry: EmbeddingRegistry;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.registry = EmbeddingRegistry.fromEnv(config.rawEnv);
  }

  defaultHandle(): string {
    return this.registry.defaultHandle();
  }

  /** The handle an agent's or archive's `embedding_config` names, or the default. */
  handleOf(embeddingConfig: Record<string, unknown> | null | undefined, fallback?: string | null): string {
    const h = embeddingConfig?.handle;
    if (typeof h === 'string' && h) return h;
    const model = embeddingConfig?.embedding_model;
    const type = embeddingConfig?.embedding_endpoint_type;
    if (typeof model === 'string' && typeof type === 'string' && model) return `${type}/${model}`;
    return fallback || this.registry.defaultHandle();
  }

  async configFor(handle: string): Promise<LettaEmbeddingConfig> {
    return this.guard(() => this.registry.embeddingConfigFor(handle));
  }

  client(handle: string): EmbeddingClient {
    try {
      return this.registry.resolve(handle);
    } catch (err) {
      throw this.translate(err);
    }
  }

  async embed(handle: string, texts: string[]): Promise<EmbeddedText> {
    const client = this.client(handle);
    const vectors = await this.guard(() => client.embed(texts));
    const dim = vectors[0]?.length ?? client.dimensions ?? 0;
    if (vectors.length !== texts.length || vectors.some((v) => v.length !== dim)) {
      throw new DomainError(
        HttpStatus.BAD_GATEWAY,
        'embedding_provider_error',
        `Embedding model ${handle} returned malformed vectors`,
      );
    }
    return { handle: client.handle, dim, vectors };
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.translate(err);
    }
  }

  private translate(err: unknown): unknown {
    if (!(err instanceof EmbeddingError)) return err;
    if (err.code === 'provider_error') {
      return new DomainError(HttpStatus.BAD_GATEWAY, 'embedding_provider_error', err.message);
    }
    return new InvalidInputError(err.message, 'embedding_not_configured');
  }
}
