import { ApiProperty } from '@nestjs/swagger';
import { Int, NStr, Str } from '../common/api-response';

/** The client's `provider_type` values (test/compat/shapes.spec.ts checks they are its enum). */
export const PROVIDER_TYPES = [
  'anthropic',
  'azure',
  'baseten',
  'bedrock',
  'cerebras',
  'chatgpt_oauth',
  'deepseek',
  'fireworks',
  'google_ai',
  'google_vertex',
  'groq',
  'hugging-face',
  'letta',
  'lmstudio_openai',
  'minimax',
  'moonshot',
  'moonshot_coding',
  'mistral',
  'ollama',
  'openai',
  'together',
  'vllm',
  'sglang',
  'openrouter',
  'xai',
  'zai',
  'zai_coding',
] as const;
/** The client's `embedding_endpoint_type` values. */
export const EMBEDDING_ENDPOINT_TYPES = [
  'openai',
  'anthropic',
  'bedrock',
  'google_ai',
  'google_vertex',
  'azure',
  'groq',
  'ollama',
  'webui',
  'webui-legacy',
  'lmstudio',
  'lmstudio-legacy',
  'llamacpp',
  'koboldcpp',
  'vllm',
  'hugging-face',
  'mistral',
  'together',
  'pinecone',
] as const;

/** Letta's Model (an LLM this server can call). */
export class ModelResponse {
  @Str() handle: string;
  @Str() name: string;
  @Str() model: string;
  @Str() model_endpoint_type: string;
  @ApiProperty({ enum: PROVIDER_TYPES }) provider_type: string;
  @Int() context_window: number;
  @Str({ enum: ['llm'] }) model_type: string;
}

/** Letta's EmbeddingModel. */
export class EmbeddingModelResponse {
  @Str() handle: string;
  @Str() name: string;
  @Str() embedding_model: string;
  @ApiProperty({ enum: EMBEDDING_ENDPOINT_TYPES }) embedding_endpoint_type: string;
  @NStr() embedding_endpoint: string | null;
  @Int() embedding_dim: number;
  @ApiProperty({ enum: PROVIDER_TYPES }) provider_type: string;
  @Str({ enum: ['embedding'] }) model_type: string;
}
