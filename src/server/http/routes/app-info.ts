/** GET /info, /parameters, /meta, /site. */
import type { AppParameters, JsonValue } from '../../../protocol/index.js';
import { ApiError } from '../api-error.js';
import { sendJson, type RequestContext } from '../context.js';

export function appInfo(ctx: RequestContext): void {
  const { app } = ctx.parts;
  sendJson(ctx.res, 200, { name: app.name, description: app.description, tags: [], mode: 'workflow', author_name: 'difyrun' });
}

/** A feature block as the DSL saved it (Dify sends it back unchanged), or Dify's default. */
function feature<T extends { enabled: boolean }>(features: Record<string, unknown>, key: string, fallback: T): T {
  const value = features[key];
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? ({ enabled: false, ...value } as T) : fallback;
}

export function appParameters(ctx: RequestContext): void {
  if (ctx.parts.faults.isUnpublished(ctx.parts.runs.executedRuns))
    throw new ApiError(400, 'app_unavailable', 'App unavailable, please check your app configurations.');
  const { app, uploadLimits } = ctx.parts;
  const f = app.features;
  const body: AppParameters = {
    opening_statement: typeof f['opening_statement'] === 'string' ? f['opening_statement'] : '',
    suggested_questions: Array.isArray(f['suggested_questions']) ? f['suggested_questions'].map(String) : [],
    suggested_questions_after_answer: feature(f, 'suggested_questions_after_answer', { enabled: false }),
    speech_to_text: feature(f, 'speech_to_text', { enabled: false }),
    text_to_speech: feature(f, 'text_to_speech', { enabled: false, voice: '', language: '' }),
    retriever_resource: feature(f, 'retriever_resource', { enabled: false }),
    annotation_reply: feature(f, 'annotation_reply', { enabled: false }),
    more_like_this: feature(f, 'more_like_this', { enabled: false }),
    user_input_form: app.start.variables.map((variable) => ({ [variable.type]: variable })),
    sensitive_word_avoidance: feature(f, 'sensitive_word_avoidance', { enabled: false, type: '', configs: [] }),
    file_upload: feature<Record<string, JsonValue> & { enabled: boolean }>(f, 'file_upload', {
      enabled: false,
      image: { enabled: false, number_limits: 3, detail: 'high', transfer_methods: ['remote_url', 'local_file'] },
    }),
    system_parameters: {
      image_file_size_limit: uploadLimits.image,
      video_file_size_limit: uploadLimits.video,
      audio_file_size_limit: uploadLimits.audio,
      file_size_limit: uploadLimits.file,
      workflow_file_upload_limit: 10,
    },
  };
  sendJson(ctx.res, 200, body);
}

export function appMeta(ctx: RequestContext): void {
  sendJson(ctx.res, 200, { tool_icons: {} });
}

/** Dify's Site row has its own (empty) description, not the app's. */
export function appSite(ctx: RequestContext): void {
  const { app } = ctx.parts;
  sendJson(ctx.res, 200, {
    title: app.name,
    chat_color_theme: null,
    chat_color_theme_inverted: false,
    icon_type: 'emoji',
    icon: app.icon,
    icon_background: app.icon_background,
    description: null,
    copyright: null,
    privacy_policy: null,
    custom_disclaimer: '',
    default_language: 'en-US',
    show_workflow_steps: true,
    use_icon_as_answer_icon: false,
    icon_url: null,
  });
}
