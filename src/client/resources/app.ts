/** `/info`, `/parameters`, `/meta`, `/site`. */
import type { AppInfo, AppMeta, AppParameters, AppSite } from '../../protocol/index.js';
import type { RequestOptions, Transport } from '../transport.js';

export interface UserParam {
  user?: string | undefined;
}

export class App {
  constructor(private readonly transport: Transport) {}

  info(params: UserParam = {}, options?: RequestOptions): Promise<AppInfo> {
    return this.#get<AppInfo>('/info', params, options);
  }

  /** Input form (variables, types, limits) and feature flags. */
  parameters(params: UserParam = {}, options?: RequestOptions): Promise<AppParameters> {
    return this.#get<AppParameters>('/parameters', params, options);
  }

  meta(params: UserParam = {}, options?: RequestOptions): Promise<AppMeta> {
    return this.#get<AppMeta>('/meta', params, options);
  }

  site(params: UserParam = {}, options?: RequestOptions): Promise<AppSite> {
    return this.#get<AppSite>('/site', params, options);
  }

  #get<T>(path: string, params: UserParam, options?: RequestOptions): Promise<T> {
    return this.transport.json<T>({ method: 'GET', path, query: { user: params.user }, idempotency: 'idempotent' }, options);
  }
}
