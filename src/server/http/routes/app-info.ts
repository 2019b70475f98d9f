/** GET /info, /parameters, /meta, /site. */
import { ApiError } from '../api-error.js';
import { sendJson, type RequestContext } from '../context.js';

export function appInfo(ctx: RequestContext): void {
  const { app } = ctx.parts;
  sendJson(ctx.res, 200, { name: app.name, description: app.description, tags: [], mode: 'workflow', author_name: 'difyrun' });
}

export function appParameters(ctx: RequestContext): void {
  if (ctx.parts.faults.isUnpublished(ctx.parts.runs.executedRuns)) throw new ApiError(400, 'app_unavailable', 'App unavailable, please check your app configurations.');
  const { app, uploadLimits } = ctx.parts;
  const f = app.features;
  const feature = (key: string, fallback: object) => (f[key] && typeof f[key] === 'object' ? f[key] : fallback);
  sendJson(ctx.res, 200, {
    opening_statement: typeof f['opening_statement'] === 'string' ? f['opening_statement'] : '',
    suggested_questions: Array.isArray(f['suggested_questions']) ? f['suggested_questions'] : [],
    suggested_questions_after_answer: feature('suggested_questions_after_answer', { enabled: false }),
    speech_to_text: feature('speech_to_text', { enabled: false }),
    text_to_speech: feature('text_to_speech', { enabled: false, voice: '', language: '' }),
    retriever_resource: feature('retriever_resource', { enabled: false }),
    annotation_reply: feature('annotation_reply', { enabled: false }),
    more_like_this: feature('more_like_this', { enabled: false }),
    user_input_form: app.start.variables.map((variable) => ({ [variable.type]: variable })),
    sensitive_word_avoidance: feature('sensitive_word_avoidance', { enabled: false, type: '', configs: [] }),
    file_upload: feature('file_upload', { image: { enabled: false, number_limits: 3, detail: 'high', transfer_methods: ['remote_url', 'local_file'] } }),
    system_parameters: {
      image_file_size_limit: uploadLimits.image,
      video_file_size_limit: uploadLimits.video,
      audio_file_size_limit: uploadLimits.audio,
      file_size_limit: uploadLimits.file,
      workflow_file_upload_limit: 10,
    },
  });
}

export function appMeta(ctx: RequestContext): void {
  sendJson(ctx.res, 200, { tool_icons: {} });
}

export function appSite(ctx: RequestContext): void {
  const { app } = ctx.parts;
  sendJson(ctx.res, 200, {
    title: app.name, chat_color_theme: null, chat_color_theme_inverted: false, icon_type: 'emoji', icon: app.icon,
    icon_background: app.icon_background, icon_url: null, description: app.description, copyright: null, privacy_policy: null,
    custom_disclaimer: '', default_language: 'en-US', show_workflow_steps: true, use_icon_as_answer_icon: false,
  });
}
